"""check_links end to end: a harvested local portal whose distributions point at the fault
server and at the real corpus files; results, history, content findings and 5-star levels in
the warehouse; private addresses refused with the allowance off; the CLI and `odwatch run`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from faultserver import FaultServer

from flows.config import Portal
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from flows.links.check import LinkCheckOptions, check_links
from warehouse.records import Warehouse

FAST = dict(rate=0, concurrency=4, timeout=(1.0, 1.0), content_max_bytes=1_000_000)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n"
LOGIN = b"<!DOCTYPE html><html><head><title>Anmeldung</title></head><body>Login</body></html>"

# path on the fault server -> (declared format, expected outcome of a first check, reason,
# HTTP status); a 404 or a loop is `failing` until a check a day later confirms it, a 410 is
# dead at once
LINKS = {
    "/file/sports.csv": ("CSV", "ok", "http-200", 200),
    "/status/404": ("CSV", "failing", "http-404", 404),
    "/status/410": ("CSV", "dead", "http-410", 410),
    "/challenge": ("CSV", "blocked", "bot-challenge", 403),
    "/redirect/3": ("CSV", "ok", "http-200", 200),
    "/loop/a": ("PDF", "failing", "redirect-loop", 302),
    "/slow/2": ("CSV", "timeout", "read-timeout", None),
    "/retry-after/1": ("TXT", "ok", "http-200", 200),
    "/head-405": ("CSV", "ok", "http-200", 200),
    "/status/500": ("CSV", "server-error", "http-500", 500),
    "/big/64": ("XLSX", "ok", "http-200", 200),
}


def _res(base: str, i: int, path: str, fmt: str) -> dict:
    return {"id": f"r{i:02d}", "name": path, "url": base + path, "format": fmt}


def _packages(base: str) -> list[dict]:
    sport = [_res(base, i, p, v[0]) for i, (p, v) in enumerate(LINKS.items())]
    sport.append(
        {"id": "r90", "name": "ftp", "url": "ftp://ftp.example.org/a.csv", "format": "CSV"}
    )
    return [
        {
            "id": "sport",
            "name": "sport",
            "title": "Sportstätten",
            "license_id": "dl-de-by-2.0",
            "resources": sport,
        },
        {
            "id": "vornamen",
            "name": "vornamen",
            "title": "Vornamen",
            "license_id": "cc-by",
            "resources": [
                _res(base, 20, "/file/2012.csv", "CSV"),
                _res(base, 21, "/file/2015.csv", "CSV"),
            ],
        },
        {
            "id": "bericht",
            "name": "bericht",
            "title": "Bericht",
            "license_id": "cc-nc",
            "resources": [_res(base, 30, "/file/bericht.pdf", "CSV")],
        },
        {
            "id": "portal",
            "name": "portal",
            "title": "Hinter Login",
            "license_id": "cc-zero",
            "resources": [_res(base, 40, "/file/login.html", "CSV")],
        },
    ]


@pytest.fixture(scope="module")
def files(corpus: Path) -> dict[str, bytes]:
    f = corpus / "files"
    return {
        "sports.csv": (f / "bochum" / "bochum_sports_facilities.csv").read_bytes(),
        "2012.csv": (f / "berlin-vornamen" / "cleaned-2012-marzahn-hellersdorf.csv").read_bytes(),
        "2015.csv": (f / "berlin-vornamen" / "source-2015-standesamt-i.csv").read_bytes(),
        "bericht.pdf": PDF,
        "login.html": LOGIN,
    }


@pytest.fixture
def setup(files, tmp_path: Path):
    with FaultServer(files, {"login.html": "text/html"}) as fs:
        with LocalPortal(_packages(fs.url)) as lp:
            portal = Portal(
                id="testdorf",
                title="Testdorf",
                city="Testdorf",
                platform="ckan",
                url=lp.url,
                allow_private_urls=True,
            )
            wh = Warehouse(tmp_path / "w.duckdb")
            assert harvest_portal(portal, wh).status == "ok"
            try:
                yield fs, portal, wh
            finally:
                wh.close()


def _rows(wh: Warehouse, sql: str) -> list[tuple]:
    return wh.con.execute(sql).fetchall()


def test_check_links_end_to_end(setup) -> None:
    fs, portal, wh = setup
    summary = check_links(wh, [portal], LinkCheckOptions(**FAST))
    assert (summary.urls_known, summary.urls_due) == (16, 16)
    got = {
        url.replace(fs.url, ""): (outcome, reason, status)
        for url, outcome, reason, status in _rows(
            wh, "SELECT url, outcome, reason, http_status FROM link_checks"
        )
    }
    expected = {p: v[1:] for p, v in LINKS.items()} | {
        "ftp://ftp.example.org/a.csv": ("invalid-url", "unsupported-scheme-ftp", None),
        "/file/2012.csv": ("ok", "http-200", 200),
        "/file/2015.csv": ("ok", "http-200", 200),
        "/file/bericht.pdf": ("ok", "http-200", 200),
        "/file/login.html": ("ok", "http-200", 200),
    }
    assert got == expected
    assert summary.counts() == (
        "ok 9, dead 1, failing 2, blocked 1, server-error 1, timeout 1, invalid-url 1"
    )
    # redirects followed, final URL and method kept
    assert _rows(
        wh,
        f"SELECT final_url, redirects, method FROM link_checks WHERE url = '{fs.url}/redirect/3'",
    ) == [(fs.url + "/ok", 3, "HEAD")]
    assert _rows(wh, f"SELECT method FROM link_checks WHERE url = '{fs.url}/head-405'") == [
        ("GET",)
    ]
    # the 429 was asked twice, a second apart (a third time by the content sample)
    times = [(m, t) for m, t in fs.requests_to("/retry-after/1")]
    assert [m for m, _ in times] == ["HEAD", "HEAD", "GET"]
    assert times[1][1] - times[0][1] >= 0.95

    # content findings, exact
    findings = _rows(
        wh,
        "SELECT distribution_id, code, severity, evidence FROM content_findings "
        "ORDER BY distribution_id, code",
    )
    assert findings == [
        ("r00", "blank-header", "warning", "column 10 of 10"),
        ("r00", "empty-rows", "warning", "rows 1, 130-168"),
        ("r00", "multiline-header", "warning", "column 8: 'Beleuchtung\\n vorhanden'"),
        (
            "r00",
            "not-utf8",
            "warning",
            "decoded as ISO-8859-1; first non-UTF-8 byte 0xDF on line 1 (byte offset 49)",
        ),
        ("r00", "ragged-rows", "warning", "9 fields in rows 48-129 (first on line 52)"),
        ("r10", "format-mismatch", "warning", "declared XLSX, sniffed CSV (comma-separated text)"),
        (
            "r21",
            "column-order-changed",
            "warning",
            "/file/2012.csv: vorname, anzahl, geschlecht; this file: anzahl, vorname, geschlecht",
        ),
        ("r21", "delimiter-changed", "warning", "/file/2012.csv: ','; this file: ';'"),
        ("r30", "format-mismatch", "warning", "declared CSV, sniffed PDF (starts with %PDF-)"),
        ("r40", "html-instead-of-data", "error", "declared CSV, got an HTML page"),
    ]
    checks = _rows(
        wh,
        "SELECT distribution_id, sniffed_format, encoding, delimiter, row_count, empty_rows, "
        "ragged_rows, truncated FROM content_checks ORDER BY distribution_id",
    )
    # sampled: the distributions whose link is ok; the 64 MB body only up to the 1 MB cap
    # (62,500 lines without a header; the last one is dropped as possibly cut)
    assert checks == [
        ("r00", "CSV", "iso-8859-1", ";", 128, 40, 82, False),
        ("r04", "CSV", "utf-8", ",", 1, 0, 0, False),
        ("r07", "TXT", "utf-8", None, None, None, None, False),
        ("r08", "CSV", "utf-8", ",", 1, 0, 0, False),
        ("r10", "CSV", "utf-8", ",", 62_499, 0, 0, True),
        ("r20", "CSV", "utf-8", ",", 895, 0, 0, False),
        ("r21", "CSV", "utf-8", ";", 1, 0, 0, False),
        ("r30", "PDF", None, None, None, None, None, False),
        ("r40", "HTML", "utf-8", None, None, None, None, False),
    ]
    assert _rows(wh, "SELECT max(bytes_read) FROM content_checks") == [(1_000_000,)]

    # 5-star openness: before the assessment has judged the licences, the level before the
    # licence (format_stars) and no stars; the licence is judged once, by the assessment
    before = _rows(
        wh,
        "SELECT distribution_id, stars, format_stars, license_status FROM distribution_stars "
        "WHERE distribution_id IN ('r00', 'r01', 'r30') ORDER BY distribution_id",
    )
    assert before == [
        ("r00", 0, 3, None),
        ("r01", 0, 3, None),
        ("r30", 0, 1, None),
    ]  # r01: 404 once, failing
    from flows.assess import assess_runs

    (run_id,) = wh.con.execute("SELECT run_id FROM latest_runs").fetchone()
    assess_runs(wh.con, [run_id], expectations=False)
    stars = dict(
        (d, (s, f, src, reason))
        for d, s, f, src, reason in _rows(
            wh,
            "SELECT distribution_id, stars, format, format_source, reason FROM distribution_stars",
        )
    )
    assert stars == {
        "r00": (3, "CSV", "sniffed", "format"),
        "r01": (3, "CSV", "declared", "format"),  # 404 once: failing, not dead yet
        "r02": (0, None, None, "link-dead"),  # 410 Gone: dead at once
        "r03": (3, "CSV", "declared", "format"),  # blocked: not held against it
        "r04": (3, "CSV", "sniffed", "format"),
        "r05": (1, "PDF", "declared", "format"),  # redirect loop once: failing
        "r06": (3, "CSV", "declared", "format"),  # timeout
        "r07": (1, "TXT", "sniffed", "format"),
        "r08": (3, "CSV", "sniffed", "format"),
        "r09": (3, "CSV", "declared", "format"),  # 5xx
        "r10": (3, "CSV", "sniffed", "format"),  # declared XLSX, really CSV
        "r90": (3, "CSV", "url", "format"),  # ftp: not checked, not dead
        "r20": (3, "CSV", "sniffed", "format"),
        "r21": (3, "CSV", "sniffed", "format"),
        "r30": (0, "PDF", "sniffed", "license-not-open"),  # the file is a PDF, licence NC
        "r40": (1, "HTML", "sniffed", "format"),
    }
    assert _rows(wh, "SELECT dataset_id, stars FROM dataset_stars ORDER BY dataset_id") == [
        ("bericht", 0),
        ("portal", 1),
        ("sport", 3),
        ("vornamen", 3),
    ]
    assert _rows(wh, "SELECT datasets, avg_stars, stars_0, stars_1, stars_3 FROM portal_stars") == [
        (4, 1.75, 1, 1, 2)
    ]
    assert _rows(wh, "SELECT status, urls_known, urls_due FROM link_check_runs") == [("ok", 16, 16)]
    # the same day again: no link is due and the sampled files are not fetched again
    again = check_links(wh, [portal], LinkCheckOptions(**FAST))
    assert (again.urls_due, again.content_checks, again.stars) == (0, 0, 16)
    # ... and now reads the stored licence verdicts: the same stars
    assert _rows(wh, "SELECT dataset_id, stars FROM dataset_stars ORDER BY dataset_id") == [
        ("bericht", 0),
        ("portal", 1),
        ("sport", 3),
        ("vornamen", 3),
    ]


def test_history_and_recheck_schedule(setup) -> None:
    fs, portal, wh = setup
    opts = LinkCheckOptions(**FAST, content_sample=0)
    first = check_links(wh, [portal], opts)
    assert first.urls_due == 16
    # the same day: nothing is due
    assert check_links(wh, [portal], opts).urls_due == 0
    # a day later: the failures come back, the healthy URLs rest
    later = check_links(wh, [portal], opts, now=datetime.now(UTC) + timedelta(days=1, minutes=1))
    assert later.urls_due == 6
    assert later.counts() == "dead 3, blocked 1, server-error 1, timeout 1"
    status = {
        url.replace(fs.url, ""): rest
        for url, *rest in _rows(
            wh,
            "SELECT url, outcome, failure_count, first_failure IS NOT NULL, "
            "last_success IS NOT NULL, check_count FROM latest_link_status",
        )
    }
    assert status["/status/404"] == ["dead", 2, True, False, 2]
    assert status["/challenge"] == ["blocked", 2, True, False, 2]
    assert status["/redirect/3"] == ["ok", 0, False, True, 1]
    assert status["/file/sports.csv"] == ["ok", 0, False, True, 1]
    # --all checks everything again
    assert (
        check_links(wh, [portal], LinkCheckOptions(**FAST, content_sample=0, force=True)).urls_due
        == 16
    )


def test_private_addresses_refused_with_allowance_off(setup, monkeypatch) -> None:
    fs, portal, wh = setup
    monkeypatch.delenv("ODWATCH_ALLOW_PRIVATE_URLS", raising=False)
    strict = Portal(**{**portal.__dict__, "allow_private_urls": False})
    before = len(fs.log)
    summary = check_links(wh, [strict], LinkCheckOptions(**FAST))
    assert summary.counts() == "invalid-url 1, refused-private-address 15"
    assert (summary.requests, summary.content_checks) == (0, 0)
    assert len(fs.log) == before  # nothing reached the server
    assert _rows(
        wh,
        "SELECT DISTINCT reason, error FROM link_checks WHERE outcome = 'refused-private-address'",
    ) == [("loopback", "127.0.0.1 resolves to a loopback address 127.0.0.1")]
    # not dead: a refusal costs no stars (the level before the licence; not assessed yet)
    assert _rows(
        wh, "SELECT format_stars FROM distribution_stars WHERE distribution_id = 'r00'"
    ) == [(3,)]


def test_environment_variable_allows_private_addresses(setup, monkeypatch) -> None:
    fs, portal, wh = setup
    monkeypatch.setenv("ODWATCH_ALLOW_PRIVATE_URLS", "1")
    strict = Portal(**{**portal.__dict__, "allow_private_urls": False})
    summary = check_links(wh, [strict], LinkCheckOptions(**FAST, content_sample=0))
    assert summary.outcomes["refused-private-address"] == 0


def test_default_politeness_paces_one_host(setup) -> None:
    fs, portal, wh = setup
    before = len(fs.log)
    summary = check_links(
        wh, [portal], LinkCheckOptions(timeout=(1.0, 1.0), content_sample=0, max_urls=6)
    )
    assert summary.urls_due == 6
    starts = sorted(t for _, _, t in fs.log[before:])
    # 2 requests/s on the one host. Measured on arrival at the server, so one late arrival
    # under CPU load can shorten a single gap; the span of all starts cannot shrink.
    assert len(starts) >= 5
    assert starts[-1] - starts[0] >= (len(starts) - 1) * 0.5 - 0.15


@pytest.mark.prefect
def test_cli_and_run_pipeline(setup, tmp_path, prefect_harness, capsys) -> None:
    from flows.cli import main

    fs, portal, wh = setup
    path = str(wh.path)
    wh.close()
    portals_yaml = tmp_path / "portals.yaml"
    portals_yaml.write_text(
        "portals:\n"
        f"  - {{id: testdorf, title: Testdorf, city: Testdorf, platform: ckan, url: '{portal.url}',"
        " allow_private_urls: true}\n",
        encoding="utf-8",
    )
    code = main(
        [
            "check-links",
            "--portals",
            str(portals_yaml),
            "--warehouse",
            path,
            "--max-per-host-rate",
            "0",
            "--timeout",
            "1",
            "--content-sample",
            "0",
            "-q",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines() == [
        "ok\t9",
        "dead\t1",
        "failing\t2",
        "blocked\t1",
        "server-error\t1",
        "timeout\t1",
        "invalid-url\t1",
        "refused-private-address\t0",
        "error\t0",
    ]
    # `odwatch run` checks links after harvesting (nothing due: all were just checked)
    code = main(
        [
            "run",
            "--portals",
            str(portals_yaml),
            "--warehouse",
            path,
            "--site",
            str(tmp_path / "site"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "check-links: 0 of 16 URLs checked (none)" in err
    with Warehouse(path) as again:
        assert _rows(again, "SELECT count(*) FROM link_check_runs WHERE status = 'ok'") == [(2,)]


def test_unknown_portal_and_no_snapshot_are_one_line_errors(tmp_path, capsys) -> None:
    from flows.cli import main

    portals_yaml = tmp_path / "portals.yaml"
    portals_yaml.write_text(
        "portals:\n  - {id: leer, title: Leer, city: Leer, platform: ckan, url: 'https://x.example'}\n",
        encoding="utf-8",
    )
    args = [
        "check-links",
        "--portals",
        str(portals_yaml),
        "--warehouse",
        str(tmp_path / "w.duckdb"),
    ]
    assert main([*args, "--portal", "nope"]) == 1
    assert main(args) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"odwatch: error: {portals_yaml}: --portal nope: no portal with that id; known ids: leer"
    )
    assert err[1] == (
        f"odwatch: error: {tmp_path / 'w.duckdb'}: no harvested snapshot of those portals; "
        "run 'odwatch run' first"
    )
