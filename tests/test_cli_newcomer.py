"""Rough edges a newcomer hit (issue 13, item 9, the CLI parts): `odwatch run` against an
unreachable portal stays at one line per portal (no urllib3 retry warnings, no Prefect
traceback); after a demo, `status` finds the demo's portals beside its warehouse; `findings`
for a portal whose harvest failed says so, with the error and when."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import EXIT_FAILURE, EXIT_PORTAL_FAILED, main
from flows.config import Portal, portals_beside, portals_for
from flows.demo.portals import LocalPortal
from flows.harvest import harvest_portal
from warehouse.records import Warehouse


def _closed_port_url() -> str:
    server = LocalPortal([]).start()
    url = server.url
    server.stop()  # nothing listens there any more: connection refused
    return url


def _portals_yaml(path: Path, url: str, pid: str = "down") -> Path:
    path.write_text(
        f"portals:\n  - {{id: {pid}, title: Down, city: Downtown, platform: ckan, url: '{url}'}}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_run_against_an_unreachable_portal_prints_one_line_for_it(tmp_path, capfd) -> None:
    portals = _portals_yaml(tmp_path / "portals.yaml", _closed_port_url())
    code = main(["run", "--portals", str(portals), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--site", str(tmp_path / "site"), "--retries", "1", "--retry-delay", "0"])  # fmt: skip
    err = capfd.readouterr().err
    assert code == EXIT_PORTAL_FAILED
    lines = err.splitlines()
    assert [line for line in lines if line.startswith("down:")] == [
        line for line in lines if "down" in line and "FAILED" in line
    ]
    assert len([line for line in lines if line.startswith("down: FAILED after")]) == 1
    for noise in ("urllib3", "Retrying", "Traceback", "TransientHarvestFailure", "| ERROR"):
        assert noise not in err, f"{noise!r} on stderr:\n{err}"
    assert lines[0].startswith("odwatch ") and lines[-1].startswith("done: 0 ok, 1 failed")


def test_the_demo_keeps_its_portals_beside_its_warehouse_and_status_finds_them(
    tmp_path, capsys
) -> None:
    wh = tmp_path / "warehouse" / "demo.duckdb"
    assert portals_beside(wh) == tmp_path / "warehouse" / "demo.portals.yaml"
    # without a list beside the warehouse: portals.yaml (or what --portals says)
    assert portals_for(None, wh) == "portals.yaml"
    assert portals_for("mine.yaml", wh) == "mine.yaml"
    # what `odwatch demo` leaves behind: its warehouse and, beside it, its portals
    url = _closed_port_url()
    wh.parent.mkdir()
    _portals_yaml(portals_beside(wh), url, pid="musterstadt")
    with Warehouse(wh) as w:
        harvest_portal(Portal("musterstadt", "Down", "Downtown", "ckan", url), w)
    assert portals_for(None, wh) == str(portals_beside(wh))
    code = main(["status", "--warehouse", str(wh)])
    out = capsys.readouterr().out
    assert code == 3  # its one portal's harvest failed
    assert "musterstadt" in out and "never harvested" not in out
    # the default warehouse is missing: the error names the demo's
    default = tmp_path / "warehouse" / "odwatch.duckdb"
    assert main(["status", "--warehouse", str(default)]) == EXIT_FAILURE
    assert capsys.readouterr().err.splitlines() == [
        f"odwatch: error: {default}: no warehouse here yet; run 'odwatch run' first or pass "
        f"--warehouse PATH (after 'make demo': --warehouse {wh})"
    ]


def test_findings_for_a_failed_harvest_says_it_failed_with_error_and_when(tmp_path, capsys) -> None:
    url = _closed_port_url()
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as w:
        result = harvest_portal(Portal("down", "Down", "Downtown", "ckan", url), w)
        when = w.con.execute(
            "SELECT strftime(finished_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') FROM harvest_runs"
        ).fetchone()[0]
    assert result.status == "failed"
    assert main(["findings", "--warehouse", str(path), "--portal", "down"]) == EXIT_FAILURE
    assert capsys.readouterr().err.splitlines() == [
        f"odwatch: error: {path}: portal 'down' has no snapshot to assess: its last harvest "
        f"failed at {when} UTC: {url}/api/3/action/package_search: cannot connect ([Errno 111] "
        "Connection refused); fix the portal entry or wait until it answers, then "
        "'odwatch run --only down'"
    ]
    assert main(["findings", "--warehouse", str(path), "--portal", "elsewhere"]) == EXIT_FAILURE
    assert capsys.readouterr().err.splitlines() == [
        f"odwatch: error: {path}: portal 'elsewhere' was never harvested into this warehouse "
        "(harvested: down); run 'odwatch run --only elsewhere'"
    ]
