"""The method table: totals, bands, and the pinned fingerprint of each method version."""

from __future__ import annotations

import dataclasses

import pytest

from checks.export import neutralize_cell, write_csv
from checks.facts import is_email, is_http_url
from checks.fingerprint import method_fingerprint
from checks.metadata import CHECK_RULES, INDICATOR_RULES
from checks.scoring import (
    CURRENT,
    METHOD_VERSION,
    Method,
    band,
    validate,
)

# A changed weight, check or rule is a new method: bump METHOD_VERSION in checks/scoring.py
# and pin the new fingerprint here (keep the old lines: they document the history).
PINNED = {
    "2026.11-1": "e436972ac6931058",
    "2026.11-2": "2647e3b226ca4e36",  # + the "really released" headline (released_* scores)
    "2026.11-3": "55c87d01b934be4f",  # + content findings (kind content) and 5-star scores
    # + German licence spellings, generated exports counted once, headline threshold,
    # release-first fix order, hint texts
    "2026.12-1": "471dad1bc3e6e588",
    # + DCAT-AP compliance judged from the snapshot's SHACL verdicts (dcat-ap-violation)
    "2026.12-2": "817fa61b97db1d52",
}


def test_fingerprint_is_pinned_for_this_version():
    assert METHOD_VERSION in PINNED, f"pin method {METHOD_VERSION}'s fingerprint in PINNED"
    assert method_fingerprint() == PINNED[METHOD_VERSION], (
        "the scoring method changed without a new version: bump METHOD_VERSION in "
        "checks/scoring.py and pin the new fingerprint in tests/test_scoring.py"
    )


def test_a_changed_weight_changes_the_fingerprint_but_not_the_version_alone():
    heavier = tuple(
        dataclasses.replace(i, weight=i.weight + 1) if i.id == "keywords" else i
        for i in CURRENT.indicators
    )
    changed = dataclasses.replace(CURRENT, indicators=heavier)
    assert method_fingerprint(changed) != method_fingerprint(CURRENT)
    renamed = dataclasses.replace(CURRENT, version="2099.01-1")
    assert method_fingerprint(renamed) == method_fingerprint(CURRENT)


def test_the_mqa_table_adds_up_to_405_points_in_five_dimensions():
    validate(CURRENT)
    totals: dict[str, int] = {}
    for ind in CURRENT.indicators:
        totals[ind.dimension] = totals.get(ind.dimension, 0) + ind.weight
    assert totals == {
        "findability": 100,
        "accessibility": 100,
        "interoperability": 110,
        "reusability": 75,
        "contextuality": 20,
    }
    assert CURRENT.max_points() == 405
    not_checked = {i.id: i.weight for i in CURRENT.indicators if i.requires}
    assert not_checked == {
        "access-url-reachable": 50,
        "download-url-reachable": 30,
        "dcat-ap-compliance": 30,
    }


def test_every_indicator_and_check_has_a_rule_and_codes_are_kebab_case():
    assert set(INDICATOR_RULES) == {i.id for i in CURRENT.indicators}
    scored = {c.code for c in CURRENT.checks if c.indicators}
    # content findings come from the link checker's content_findings, not from a rule
    content = {c.code for c in CURRENT.checks if c.kind == "content"}
    assert set(CHECK_RULES) | scored | content | {"no-distributions"} >= {
        c.code for c in CURRENT.checks
    }
    for chk in CURRENT.checks:
        assert chk.code == chk.code.lower() and " " not in chk.code and "_" not in chk.code
        assert chk.title and chk.fix.endswith(".")


def test_validate_rejects_a_check_naming_an_unknown_indicator():
    bad = dataclasses.replace(
        CURRENT.checks[0], code="missing-keywords-2", indicators=("no-such-indicator",)
    )
    with pytest.raises(ValueError, match="missing-keywords-2: unknown indicators"):
        validate(Method("x", CURRENT.indicators, (*CURRENT.checks, bad)))


@pytest.mark.parametrize(
    ("points", "assessable", "expected"),
    [
        (405, 405, "excellent"),
        (351, 405, "excellent"),
        (350.99, 405, "good"),
        (221, 405, "good"),
        (220.5, 405, "sufficient"),
        (121, 405, "sufficient"),
        (120, 405, "bad"),
        (0, 405, "bad"),
        (262.857142857, 295, "excellent"),  # scaled: 360.9
        (180, 295, "good"),  # scaled: 247.1
        (10, 0, None),
        (None, 295, None),
    ],
)
def test_bands_on_the_scaled_score(points, assessable, expected):
    assert band(points, assessable) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.geoportal.rlp.de:80/portal/karten.html?LAYER[zoom]=1", True),
        ("http://127.0.0.1:8080/data.csv", True),
        ("HTTPS://EXAMPLE.ORG", True),
        ("http://[::1]/x", True),
        ("ftp://example.org/data.csv", False),
        ("www.example.org/data.csv", False),
        ("http://localhost", True),
        ("http://intranet/data.csv", False),
        ("http://exa mple.org/", False),
        ("", None),
        (None, None),
    ],
)
def test_url_validity(value, expected):
    assert is_http_url(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("opendata@bochum.de", True),
        ("mailto:geodienste@rostock.de", True),
        ("email: info@statistik.bremen.de", False),
        ("a@b.de, c@d.de", False),
        ("office@lgb-rlp", False),
        ("Philipp Zuber", False),
        (None, None),
    ],
)
def test_email_validity(value, expected):
    assert is_email(value) is expected


def test_csv_cells_that_could_run_as_formulas_are_neutralised():
    rows = [
        {"title": '=HYPERLINK("http://evil.example","click")', "n": -3, "note": "-1 Jahr"},
        {"title": "+49 30 1234", "n": 0.5, "note": "@SUM(A1)"},
        {"title": "\tTab", "n": None, "note": "\rCR"},
        {"title": "Plain", "n": 7, "note": "a=b"},
    ]
    assert write_csv(rows, ["title", "n", "note"]) == (
        "title,n,note\r\n"
        '"\'=HYPERLINK(""http://evil.example"",""click"")",-3,\'-1 Jahr\r\n'
        "'+49 30 1234,0.5,'@SUM(A1)\r\n"
        "'\tTab,,\"'\rCR\"\r\n"
        "Plain,7,a=b\r\n"
    )
    assert neutralize_cell(-3) == -3


URLS = [
    "http://x/a.csv",
    "http://x/a.CSV?x=1#frag",
    "http://x/path/data.csv.zip",
    "HTTP://X/Grundtabelle%20Haushaltsportr%E4t%202012.xls",  # Latin-1 escape: not UTF-8
    "http://x/dir/",
    "http://x",
    "data.csv",
    "c:/x/y.json",
    "http://x/a%2Fb.csv",
    "http://x/wms?SERVICE=WMS&REQUEST=GetCapabilities",
    "http://x/a?service=wfs",
    " http://x/a.csv ",
    "\thttp://x/a\n.csv",
    "http://x/a.b.c.d",
    "http://x/a.csv?y=a:b",
    "mailto:x@y.de",
    "http://x/file.tar.gz",
    "http://x/a.csv#x?y",
    "http://x/a.shp.zip/",
    "//host/a.geojson",
    "http://x/a%3Fb.csv",
    "http://x/roads.SHP.ZIP?service=WMS",
    "   ",
    "http://x/.csv",
    "http://x/a..csv",
    "http://x/a/%2F/",
    "http://x/a.json?Service=wms&x",
    None,
]


def test_the_sql_url_signature_reads_a_url_as_normalize_format_does():
    import duckdb

    from checks.assess_sql_facts import url_signature_select
    from checks.formats import normalize_format

    con = duckdb.connect()
    con.execute("CREATE TABLE t (url VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[u] for u in URLS])
    rows = con.execute(f"SELECT url, url_sig FROM ({url_signature_select('t')})").fetchall()
    assert len(rows) == len(URLS)
    for url, sig in rows:
        direct, via_sig = normalize_format(None, None, url), normalize_format(None, None, sig)
        assert (via_sig.format, via_sig.container) == (direct.format, direct.container), url
    sigs = dict(rows)
    assert sigs["http://x/wms?SERVICE=WMS&REQUEST=GetCapabilities"] == "http://h/x?service=wms"
    assert sigs["http://x/path/data.csv.zip"] == "http://h/x.csv.zip"
    assert sigs["   "] is None and sigs[None] is None
