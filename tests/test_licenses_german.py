"""German licences in every spelling people write (issue 13, item 1).

The canonical short forms the Datenlizenz Deutschland texts recommend (``dl-de/by-2.0``),
SPDX ids, the dcat-ap.de URIs, GovData's titles, the long German and English names with and
without version dots, ``§5 UrhG`` and ``Gemeinfrei``: each must classify, and the same
answer must come out of the SQL keys. The dcat-ap.de licence list is read at run time from
the recorded corpus (AGPL: never copied here).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checks.licenses import (
    LICENSE_TABLE_PATH,
    classify_license,
    compact_license_key,
    license_compact_key_sql,
    license_key_sql,
)
from checks.scoring import CURRENT

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DCAT_AP_DE_OPEN = (
    CORPUS
    / "shacl/govdata-dcat-ap-de-validator/validator/resources/dashboard-live/shapes"
    / "dcat-ap-de-licenses-open.rdf"
)

BY2 = ("dl-de-by-2.0", "open")
BY1 = ("dl-de-by-1.0", "open")
ZERO = ("dl-de-zero-2.0", "open")
BYNC = ("dl-de-by-nc-1.0", "not-open")
OFFICIAL = ("official-work", "open")

# raw value -> (canonical id, status). The first block is the list, verbatim.
SPELLINGS: dict[str, tuple[str | None, str]] = {
    "dl-de/by-2.0": BY2,
    "dl-de/zero-2.0": ZERO,
    "DL-DE->BY-2.0": BY2,
    "DL-DE BY 2.0": BY2,
    "§5 UrhG": OFFICIAL,
    "§ 5 UrhG": OFFICIAL,
    "Gemeinfrei": ("other-pd", "open"),
    "Datenlizenz Deutschland Zero – Version 2.0": ZERO,
    # short forms: slash, hyphen, arrow, space, underscore; version with a dot, a hyphen,
    # an underscore, no separator, or only the major number
    "dl-de/by-2-0": BY2,
    "dl-de-by-2.0": BY2,
    "DL-DE-BY-2.0": BY2,  # SPDX
    "dl_de_by_2_0": BY2,
    "dl-de by 2-0": BY2,
    "DL-DE-BY 2.0": BY2,
    "dl-de-by-20": BY2,
    "dl-de/by-2": BY2,
    "DL-DE->Zero-2.0": ZERO,
    "DL-DE-ZERO-2.0": ZERO,  # SPDX
    "dl-de/zero-2-0": ZERO,
    "dl-de zero 2.0": ZERO,
    "dl-de-zero": ZERO,  # only version 2.0 exists
    "dl-de/by-1-0": BY1,
    "dl-de/by-1.0": BY1,
    "DL-DE->BY-1.0": BY1,
    "dl-de-by-1": BY1,
    "dl-de/by-nc-1-0": BYNC,
    "DL-DE->BY-NC-1.0": BYNC,
    "dl-de-by-nc": BYNC,  # only version 1.0 exists
    "dl-de-by": ("dl-de-by", "open"),
    # the licence texts' own titles, German and English, with en dashes, hyphens or none
    "Datenlizenz Deutschland – Namensnennung – Version 2.0": BY2,
    "Datenlizenz Deutschland - Namensnennung - Version 2.0": BY2,
    "Datenlizenz Deutschland Namensnennung Version 2.0": BY2,
    "Datenlizenz Deutschland Namensnennung 2.0": BY2,
    "Datenlizenz Deutschland – Namensnennung – 2.0": BY2,
    "Datenlizenz Deutschland Namensnennung 2": BY2,
    "Datenlizenz Deutschland – Namensnennung – Version 2": BY2,
    "Datenlizenz Deutschland Namensnennung 2-0": BY2,
    "Datenlizenz Deutschland – Zero – Version 2.0": ZERO,
    "Datenlizenz Deutschland Zero 2.0": ZERO,
    "Datenlizenz Deutschland Zero Version 2": ZERO,
    "Datenlizenz Deutschland – Zero": ZERO,
    "Datenlizenz Deutschland – Namensnennung – Version 1.0": BY1,
    "Datenlizenz Deutschland Namensnennung 1.0": BY1,
    "Datenlizenz Deutschland Namensnennung 1": BY1,
    "Datenlizenz Deutschland – Namensnennung – nicht-kommerziell – Version 1.0": BYNC,
    "Datenlizenz Deutschland Namensnennung nicht-kommerziell 1.0": BYNC,
    "Datenlizenz Deutschland – Namensnennung – nicht-kommerziell": BYNC,
    "Data licence Germany – attribution – version 2.0": BY2,
    "Data License Germany – Attribution – Version 2.0": BY2,
    "Data licence Germany attribution 2.0": BY2,
    "Data licence Germany – Zero – version 2.0": ZERO,
    "Data licence Germany – attribution – version 1.0": BY1,
    "Data licence Germany – attribution – Non-commercial – version 1.0": BYNC,
    # URIs: GovData's licence pages, dcat-ap.de in old and new spellings, the EU authority
    "https://www.govdata.de/dl-de/by-2-0": BY2,
    "http://www.govdata.de/dl-de/by-2-0/": BY2,
    "https://www.govdata.de/dl-de/zero-2-0": ZERO,
    "http://dcat-ap.de/def/licenses/dl-by-de/2.0": BY2,
    "http://dcat-ap.de/def/licenses/dl-by-de/2_0": BY2,
    "https://www.dcat-ap.de/def/licenses/dl-zero-de/2.0": ZERO,
    "http://dcat-ap.de/def/licenses/dl-by-nc-de/1_0": BYNC,
    "http://publications.europa.eu/resource/authority/licence/DLDE_BY_2_0": BY2,
    "DLDE_BY_2_0": BY2,  # the EU authority code alone
    "DLDE_ZERO_2_0": ZERO,
    # official works (§ 5 UrhG) and the public domain
    "§5 Abs. 1 UrhG": OFFICIAL,
    "§ 5 Abs. 1 UrhG": OFFICIAL,
    "Amtliches Werk, lizenzfrei nach §5 Abs. 1 UrhG": OFFICIAL,
    "Amtliches Werk, lizenzfrei nach § 5 Abs. 1 UrhG": OFFICIAL,
    "Amtliches Werk nach § 5 UrhG": OFFICIAL,
    "Amtliches Werk (§ 5 UrhG)": OFFICIAL,
    "Amtliches Werk gemäß § 5 UrhG": OFFICIAL,
    "officialWork": OFFICIAL,
    "http://dcat-ap.de/def/licenses/officialWork": OFFICIAL,
    "gemeinfrei": ("other-pd", "open"),
    "Public Domain": ("other-pd", "open"),
    # still unknown: no such licence, or no way to tell which one
    "Datenlizenz Deutschland": (None, "unknown"),
    "Datenlizenz Deutschland Zero 1.0": (None, "unknown"),
    "dl-de/by-3.0": (None, "unknown"),
    "§ 6 UrhG": (None, "unknown"),
    # cc-by-nc/3.0 (GovData: the German port) and cc-by-nc-3.0 (unported) meet in the
    # compact key "ccbync30": that key is ambiguous, so only the exact spellings count
    "CC_BYNC_3_0": (None, "unknown"),
    "cc-by-nc/3.0": ("cc-by-nc-3.0-de", "not-open"),
    "cc-by-nc-3.0": ("cc-by-nc-3.0", "not-open"),
}


@pytest.mark.parametrize(("raw", "expected"), SPELLINGS.items(), ids=list(SPELLINGS))
def test_german_spellings(raw, expected):
    lic = classify_license(raw)
    assert (lic.license_id, lic.status) == expected


def test_the_licences_our_fix_hints_name_are_recognised():
    hints = " ".join(
        c.fix for c in CURRENT.checks if c.code in ("non-open-license", "missing-license")
    )
    named = re.findall(r"CC BY 4\.0|CC0|dl-de/by-2\.0|dl-de/zero-2\.0", hints)
    assert sorted(set(named)) == ["CC BY 4.0", "CC0", "dl-de/by-2.0", "dl-de/zero-2.0"]
    assert {n: classify_license(n).status for n in named} == dict.fromkeys(named, "open")


def test_a_near_spelling_of_a_vocabulary_uri_is_known_but_not_the_uri():
    exact = classify_license("http://dcat-ap.de/def/licenses/dl-by-de/2.0")
    near = classify_license("http://dcat-ap.de/def/licenses/dl-by-de-2.0")
    assert (exact.license_id, exact.in_vocabulary) == ("dl-de-by-2.0", True)
    assert (near.license_id, near.in_vocabulary) == ("dl-de-by-2.0", False)


@pytest.mark.parametrize(
    ("raw", "compact"),
    [
        ("DL-DE->BY-2.0", "dldeby20"),
        ("dl-de/by-2-0", "dldeby20"),
        ("  DL-DE BY 2_0 ", "dldeby20"),
        ("§ 5 UrhG", "§5urhg"),
        ("Datenlizenz Deutschland Zero – Version 2.0", "datenlizenzdeutschlandzeroversion20"),
        ("https://www.govdata.de/dl-de/by-2-0/", "govdatadedldeby20"),
        (None, ""),
    ],
)
def test_compact_key(raw, compact):
    assert compact_license_key(raw) == compact


def _dcat_ap_de_open() -> list[tuple[str, list[str], bool | None]]:
    """(concept URI, every value naming it, govdata:isOpenLicense) per licence concept."""
    if not DCAT_AP_DE_OPEN.is_file():
        pytest.skip(f"dcat-ap.de licence list not found at {DCAT_AP_DE_OPEN}")
    skos = "{http://www.w3.org/2004/02/skos/core#}"
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    root = ET.parse(DCAT_AP_DE_OPEN).getroot()
    is_open = {
        d.get(rdf + "about"): el.text == "true"
        for d in root.iter(rdf + "Description")
        for el in d.iter("{http://govdata.de/mqa/#}isOpenLicense")
    }
    concepts = []
    for c in root.iter(skos + "Concept"):
        about = c.get(rdf + "about")
        values = [about]
        for tag in (
            "{http://purl.org/dc/elements/1.1/}identifier",
            skos + "prefLabel",
            skos + "altLabel",
            "{http://www.w3.org/2008/05/skos-xl#}literalForm",
        ):
            values += [e.text for e in c.iter(tag) if e.text]
        concepts.append((about, values, is_open.get(about)))
    return concepts


def test_every_licence_of_the_dcat_ap_de_list_is_classified():
    concepts = _dcat_ap_de_open()
    assert len(concepts) == 34
    wrong = {}
    for about, values, is_open in concepts:
        uri = classify_license(about)
        for value in values:
            lic = classify_license(value)
            if lic.status not in ("open", "not-open"):
                wrong[value] = lic.status
            elif is_open is not None and lic.is_open is not is_open:
                wrong[value] = f"{lic.status}, GovData says open={is_open}"
        if not uri.in_vocabulary:
            wrong[about] = "not in vocabulary"
    assert wrong == {}


def _duckdb_classes(values: list[str]) -> dict[str, str | None]:
    """license_id per value, set-based: the exact key, else an unambiguous compact key."""
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE raw (v VARCHAR)")
    con.executemany("INSERT INTO raw VALUES (?)", [(v,) for v in values])
    rows = con.execute(
        f"""
        WITH t AS (SELECT * FROM read_csv(?, all_varchar = true)),
        compact AS (
            SELECT {license_compact_key_sql("key")} AS ck, min(license_id) AS license_id
            FROM t GROUP BY ck HAVING count(DISTINCT license_id) = 1 AND ck <> ''
        )
        SELECT r.v, coalesce(e.license_id, CASE WHEN {license_key_sql("r.v")} <> ''
                                           THEN c.license_id END)
        FROM raw r
        LEFT JOIN t e ON e.key = {license_key_sql("r.v")}
        LEFT JOIN compact c ON c.ck = {license_compact_key_sql("r.v")}
        """,
        [str(LICENSE_TABLE_PATH)],
    ).fetchall()
    return dict(rows)


def test_sql_keys_classify_the_spellings_like_python():
    values = [*SPELLINGS, *(v for _, vs, _ in _dcat_ap_de_open() for v in vs)]
    assert _duckdb_classes(values) == {v: classify_license(v).license_id for v in values}
