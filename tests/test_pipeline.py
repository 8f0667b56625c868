"""End to end through Prefect: portals.yaml -> harvest -> warehouse -> site."""

from __future__ import annotations

import duckdb
import pytest

from flows.cli import main
from flows.demo.portals import LocalPortal, Reply

pytestmark = pytest.mark.usefixtures("prefect_harness")


def write_portals(path, *entries):
    lines = ["portals:"]
    for pid, url in entries:
        lines += [
            f"  - id: {pid}",
            f"    title: Portal {pid}",
            f"    city: City {pid}",
            "    platform: ckan",
            f"    url: {url}",
            # these tests are about harvests and failures; SHACL inside `odwatch run` is
            # covered by test_demo_over_the_recorded_corpus (420 datasets would add ~40 s)
            "    shacl_profile: false",
        ]
    path.write_text("\n".join(lines) + "\n")


def runs(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        latest = dict(con.execute("SELECT portal_id, run_id FROM latest_runs").fetchall())
        all_runs = con.execute(
            "SELECT portal_id, status FROM harvest_runs ORDER BY started_at, portal_id"
        ).fetchall()
        counts = dict(
            con.execute("SELECT portal_id, count(*) FROM latest_datasets GROUP BY ALL").fetchall()
        )
    finally:
        con.close()
    return latest, all_runs, counts


def test_two_portals_one_failing_keeps_its_previous_snapshot(br_packages, tmp_path, capfd):
    broken = {"on": False}

    def fault(req, portal):
        return Reply(502, "<html>Bad Gateway</html>") if broken["on"] else None

    wh, site, portals = tmp_path / "w.duckdb", tmp_path / "site", tmp_path / "portals.yaml"
    with (
        LocalPortal(br_packages[:300]) as good,
        LocalPortal(br_packages[300:420], fault=fault) as flaky,
    ):
        write_portals(portals, ("good", good.url), ("flaky", flaky.url))
        args = [
            "run",
            "--portals",
            str(portals),
            "--warehouse",
            str(wh),
            "--site",
            str(site),
            "--retries",
            "0",
        ]
        assert main(args) == 0
        first_latest, _, counts = runs(wh)
        assert counts == {"good": 300, "flaky": 120}
        err = capfd.readouterr().err
        assert (
            "good: ok, 300 datasets, 3008 distributions" in err or "good: ok, 300 datasets" in err
        )
        assert "flaky: ok, 120 datasets" in err

        broken["on"] = True
        assert main(args) == 3  # a portal failed: non-zero, but the run went on
        latest, all_runs, counts = runs(wh)
        err = capfd.readouterr().err
    assert latest["flaky"] == first_latest["flaky"]  # previous snapshot still the latest
    assert latest["good"] != first_latest["good"]  # the good one has a new snapshot
    assert counts == {"good": 300, "flaky": 120}
    assert sorted(all_runs[2:]) == [("flaky", "failed"), ("good", "ok")]
    assert (
        "flaky: FAILED" in err
        and "package_list: HTTP 502; before that, package_search failed 9 times" in err
    )
    html = (site / "index.html").read_text()
    assert '<tr data-portal="flaky">' in html and '<span class="failed">failed</span>' in html
    assert '<td class="n">300</td>' in html and '<td class="n">120</td>' in html


def test_unreachable_portal_is_retried_by_prefect_then_recorded(tmp_path, capfd):
    server = LocalPortal([]).start()
    url = server.url
    server.stop()  # nothing listens there any more: connection refused
    wh, portals = tmp_path / "w.duckdb", tmp_path / "portals.yaml"
    write_portals(portals, ("down", url))
    code = main(["run", "--portals", str(portals), "--warehouse", str(wh), "--site", str(tmp_path / "s"),
                 "--retries", "1", "--retry-delay", "0"])  # fmt: skip
    assert code == 3
    latest, all_runs, _ = runs(wh)
    assert latest == {}
    assert all_runs == [("down", "failed"), ("down", "failed")]  # first try + one retry
    assert "down: FAILED after" in capfd.readouterr().err


def test_demo_over_the_recorded_corpus(corpus, tmp_path, capfd):
    wh = tmp_path / "corpus.duckdb"
    code = main(
        [
            "demo",
            "--corpus",
            str(corpus),
            "--retries",
            "0",
            "--warehouse",
            str(wh),
            "--site",
            str(tmp_path / "s"),
        ]
    )
    assert code == 0
    err = capfd.readouterr().err
    assert "dados-gov-br: ok, 800 datasets, 8006 distributions" in err
    assert "govdata-staging: ok, 3 datasets, 8 distributions" in err
    assert "bochum: ok, 2 datasets, 0 distributions" in err
    # each new snapshot is validated with GovData's shapes under its portal's shacl_profile
    # before it is assessed; the Brazilian catalogue has shacl_profile: false
    assert "validate-shacl: govdata-staging dcat-ap-de-2.0: " in err
    con = duckdb.connect(str(wh), read_only=True)
    try:
        validated = con.execute(
            "SELECT h.portal_id, s.profile, s.datasets, s.error FROM shacl_runs s "
            "JOIN harvest_runs h USING (run_id) ORDER BY ALL"
        ).fetchall()
        judged = con.execute(
            "SELECT portal_id, passed + failed FROM score_indicators "
            "WHERE indicator = 'dcat-ap-compliance' ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    assert validated == [
        ("bochum", "dcat-ap-de-2.0", 2, None),
        ("bochum", "govdata-dashboard", 2, None),
        ("govdata-staging", "dcat-ap-de-2.0", 3, None),
        ("govdata-staging", "govdata-dashboard", 3, None),
    ]
    judged_by = dict(judged)  # datasets judged by DCAT-AP compliance (some are unknowable)
    assert 0 < judged_by["govdata-staging"] <= 3 and judged_by["dados-gov-br"] == 0
